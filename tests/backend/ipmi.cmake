# tests: ipmi
