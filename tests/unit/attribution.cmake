# tests: attribution
