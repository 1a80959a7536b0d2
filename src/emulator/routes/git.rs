//! git routes.

use super::Route;

pub(crate) const ROUTES: &[Route] = &[];
