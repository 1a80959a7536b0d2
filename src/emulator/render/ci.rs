//! ci JSON.
