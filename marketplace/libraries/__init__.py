"""The three libraries (成果库, 需求库, 服务资源库): the pages they share. Their services live in core.listings."""
