"""技术需求库: companies' technical problems."""
