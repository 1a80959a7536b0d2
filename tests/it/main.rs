//! shiprig's integration tests, one binary: each module is one room's story.

mod units;
