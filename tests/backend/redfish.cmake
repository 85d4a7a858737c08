# tests: redfish
