"""Technology brokers: the workbench where a broker claims a demand, introduces the parties and follows the
introduction to a signed contract or a failure (the contract issue links to these records)."""
