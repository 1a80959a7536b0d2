//! git JSON.
