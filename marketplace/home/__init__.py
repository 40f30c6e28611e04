"""我的工作台 (the workbench: each role's to-dos and figures, collected from every domain's providers), and the
site's small static pages (关于, 帮助)."""
