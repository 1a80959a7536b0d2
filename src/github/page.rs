//! Pagination: lists read at `per_page=100`, following `Link: rel="next"` only while it stays
//! on the configured API (a token is never sent elsewhere).

use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;

use super::client::{GitHub, decode};
use super::error::GitHubError;

/// A list read page by page; `complete` is false when it stopped early.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub complete: bool,
    pub error: Option<GitHubError>,
}

impl<T> Listing<T> {
    fn stopped(items: Vec<T>, error: Option<GitHubError>) -> Self {
        Listing {
            items,
            complete: false,
            error,
        }
    }
}

impl GitHub {
    /// Every page of a list, following `Link: rel="next"` at `per_page=100`.
    pub async fn get_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, GitHubError> {
        let listing = self.list(path, None).await;
        match listing.error {
            Some(error) => Err(error),
            None => Ok(listing.items),
        }
    }

    /// Pages of a list until `max_pages` (if set) or the end; a failing page ends the listing
    /// with what was read so far and the error, so callers can act on a partial view safely.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        max_pages: Option<usize>,
    ) -> Listing<T> {
        let mut items = Vec::new();
        let mut next = Some(with_per_page(path));
        let mut pages = 0;
        while let Some(current) = next.take() {
            if max_pages.is_some_and(|max| pages >= max) {
                return Listing::stopped(items, None);
            }
            let answer = match self.request(Method::GET, &current, None).await {
                Ok(answer) => answer,
                Err(error) => return Listing::stopped(items, Some(error)),
            };
            pages += 1;
            match decode::<Vec<T>>(&Method::GET, &current, &answer.body) {
                Ok(page) => items.extend(page),
                Err(error) => return Listing::stopped(items, Some(error)),
            }
            match self.next_link(&answer.headers, &current) {
                Ok(link) => next = link,
                Err(error) => return Listing::stopped(items, Some(error)),
            }
        }
        Listing {
            items,
            complete: true,
            error: None,
        }
    }

    fn next_link(&self, headers: &HeaderMap, path: &str) -> Result<Option<String>, GitHubError> {
        let Some(url) = headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(next_from_link)
        else {
            return Ok(None);
        };
        match url.strip_prefix(self.api_url()) {
            Some(rest) if rest.starts_with('/') => Ok(Some(rest.to_string())),
            _ => Err(GitHubError::ForeignLink {
                path: path.to_string(),
            }),
        }
    }
}

fn with_per_page(path: &str) -> String {
    if path.contains("per_page=") {
        return path.to_string();
    }
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}per_page=100")
}

/// The `rel="next"` URL of a Link header.
fn next_from_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let header = r#"<https://api.github.com/repos/o/r/issues?page=2&per_page=100>; rel="next", <https://api.github.com/repos/o/r/issues?page=3&per_page=100>; rel="last""#;
        assert_eq!(
            next_from_link(header).as_deref(),
            Some("https://api.github.com/repos/o/r/issues?page=2&per_page=100")
        );
        assert_eq!(next_from_link(r#"<https://x/y?page=1>; rel="prev""#), None);
    }

    #[test]
    fn per_page_is_added_once() {
        assert_eq!(
            with_per_page("/repos/o/r/issues"),
            "/repos/o/r/issues?per_page=100"
        );
        assert_eq!(with_per_page("/x?state=open"), "/x?state=open&per_page=100");
        assert_eq!(with_per_page("/x?per_page=5"), "/x?per_page=5");
    }
}
