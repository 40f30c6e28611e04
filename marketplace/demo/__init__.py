"""Demo content: Chinese records across Jiangxi's industries and one account per role."""
