"""科技成果库: research results and their IP, listed by institutions."""
