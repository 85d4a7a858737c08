# Shared-node attribution (issue 4).
