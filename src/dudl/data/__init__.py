"""The data layer: dataset registry, fetch (present -> mirrors -> upstream), prepare, synthetic generators."""
