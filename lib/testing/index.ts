// The testing kit (sluice/testing). Filled in by the testing-kit work.
export {}
