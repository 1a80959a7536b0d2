//! Request and reply types shared by the routes, GitHub's error shapes, and pagination.

use serde_json::{Value, json};

pub(crate) const DOCS: &str = "https://docs.github.com/rest";

/// A parsed request as a route handler sees it.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub params: Vec<(String, String)>,
    pub body: Value,
    /// The length of the raw request body (uploads are not JSON).
    pub raw_len: usize,
    /// The authenticated login, if any.
    pub actor: Option<String>,
    /// The App id, when the request carried a valid App JWT.
    pub app: Option<u64>,
}

impl Req {
    /// A path parameter (already percent-decoded).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// A numeric path parameter; not a number is a 404, as on GitHub.
    pub fn num(&self, name: &str) -> Result<u64, ApiError> {
        self.param(name).parse().map_err(|_| ApiError::not_found())
    }

    /// A query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A string field of the JSON body.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Value::as_str)
    }

    /// A required string field of the JSON body; missing is a 422.
    pub fn need(&self, key: &str, resource: &str) -> Result<&str, ApiError> {
        self.str(key)
            .ok_or_else(|| ApiError::missing_field(resource, key))
    }

    /// A list of strings from the body (`key` as an array, or a single string).
    pub fn strings(&self, key: &str) -> Option<Vec<String>> {
        let v = if key.is_empty() {
            &self.body
        } else {
            self.body.get(key)?
        };
        match v {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(a) => Some(
                a.iter()
                    .filter_map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .or_else(|| x.get("name")?.as_str().map(str::to_string))
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The actor, or 401 when the request is anonymous.
    pub fn actor(&self) -> Result<&str, ApiError> {
        self.actor
            .as_deref()
            .ok_or_else(|| ApiError::new(401, "Requires authentication"))
    }
}

/// What a route answers.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    pub fn created(body: Value) -> Reply {
        Reply::json(201, body)
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }
}

/// A GitHub error answer: `{"message", "documentation_url", "status", ["errors"]}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
    pub errors: Vec<Value>,
}

pub(crate) type Res = Result<Reply, ApiError>;

impl ApiError {
    pub fn new(status: u16, message: &str) -> ApiError {
        ApiError {
            status,
            message: message.to_string(),
            errors: Vec::new(),
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(404, "Not Found")
    }

    /// 422 "Validation Failed" with one GitHub error entry.
    pub fn invalid(resource: &str, field: &str, code: &str) -> ApiError {
        ApiError {
            status: 422,
            message: "Validation Failed".to_string(),
            errors: vec![json!({"resource": resource, "field": field, "code": code})],
        }
    }

    pub fn missing_field(resource: &str, field: &str) -> ApiError {
        ApiError::invalid(resource, field, "missing_field")
    }

    /// 422 with a custom message and a `custom` error entry.
    pub fn unprocessable(message: &str) -> ApiError {
        ApiError {
            status: 422,
            message: message.to_string(),
            errors: Vec::new(),
        }
    }

    pub fn body(&self) -> Value {
        let mut v = json!({
            "message": self.message,
            "documentation_url": DOCS,
            "status": self.status.to_string(),
        });
        if !self.errors.is_empty() {
            v["errors"] = Value::Array(self.errors.clone());
        }
        v
    }
}

/// Default message GitHub gives for a status.
pub(crate) fn default_message(status: u16) -> &'static str {
    match status {
        401 => "Bad credentials",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Validation Failed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Splits and percent-decodes a query string.
pub(crate) fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

/// Percent-decodes one URL component (invalid escapes are kept as they are).
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `per_page` (default 30, max 100) and `page` (from 1) of a request.
pub(crate) fn page_params(req: &Req) -> (usize, usize) {
    let per_page = req
        .q("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = req
        .q("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    (per_page, page)
}

/// Cuts one page out of `items` and builds the `Link` header from the request's own URL.
/// Cut before rendering: a page of a long list renders only its own items.
pub(crate) fn page_of<T>(req: &Req, base: &str, items: Vec<T>) -> (Vec<T>, Vec<(String, String)>) {
    page_with_cap(req, base, items, usize::MAX)
}

/// Like [`page_of`], but only the first `cap` items are reachable (GitHub's list limits).
pub(crate) fn page_with_cap<T>(
    req: &Req,
    base: &str,
    mut items: Vec<T>,
    cap: usize,
) -> (Vec<T>, Vec<(String, String)>) {
    items.truncate(cap);
    let (per_page, page) = page_params(req);
    let last = items.len().div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(items.len());
    let end = (start + per_page).min(items.len());
    let slice = items.drain(start..end).collect();
    let link = link_header(req, base, page, last);
    let headers = if link.is_empty() {
        Vec::new()
    } else {
        vec![("link".to_string(), link)]
    };
    (slice, headers)
}

/// A paginated JSON array reply.
pub(crate) fn paginate(req: &Req, base: &str, items: Vec<Value>) -> Reply {
    let (slice, headers) = page_of(req, base, items);
    Reply {
        status: 200,
        body: Some(Value::Array(slice)),
        headers,
    }
}

fn link_header(req: &Req, base: &str, page: usize, last: usize) -> String {
    let url_for = |n: usize| {
        let mut parts: Vec<String> = req
            .query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        parts.push(format!("page={n}"));
        format!("<{base}{}?{}>", req.path, parts.join("&"))
    };
    let mut rels = Vec::new();
    if page > 1 {
        rels.push(format!("{}; rel=\"prev\"", url_for((page - 1).min(last))));
    }
    if page < last {
        rels.push(format!("{}; rel=\"next\"", url_for(page + 1)));
        rels.push(format!("{}; rel=\"last\"", url_for(last)));
    }
    if page > 1 {
        rels.push(format!("{}; rel=\"first\"", url_for(1)));
    }
    rels.join(", ")
}
