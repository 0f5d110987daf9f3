"""Platform SDK: repositories the platform services build on."""
