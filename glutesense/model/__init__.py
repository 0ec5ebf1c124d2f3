"""The data model: channel roles and the frozen records that cross module boundaries."""
