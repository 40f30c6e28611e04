"""服务资源库: transfer agencies, pilot plants, concept-verification centres, shared instruments."""
