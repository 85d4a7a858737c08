# tests: node
