//! The configuration reference in `docs/configuration.md`, rendered from the JSON Schema that
//! `shiprig config schema` prints: one section per top-level key, one row per key with its
//! type, default and description. Only what the schema says goes in, so the page cannot say
//! more than the loader does, and it changes when the schema does.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// Where the generated part of `docs/configuration.md` starts and ends.
pub const BEGIN: &str = "<!-- generated reference: begin -->";
pub const END: &str = "<!-- generated reference: end -->";

/// The reference section for `schema`, as the text between [`BEGIN`] and [`END`].
pub fn render(schema: &Value) -> String {
    let defs = schema.get("$defs").and_then(Value::as_object);
    let doc = Doc {
        defs,
        out: String::new(),
    };
    doc.render(schema)
}

struct Doc<'a> {
    defs: Option<&'a Map<String, Value>>,
    out: String,
}

/// One key's schema with `$ref` and `null` alternatives resolved.
struct Node<'a> {
    schema: &'a Value,
    /// The referenced definition, when the key points at one.
    def: Option<&'a Value>,
    /// `null` is allowed: the key may be left unset.
    nullable: bool,
}

impl<'a> Doc<'a> {
    fn render(mut self, schema: &'a Value) -> String {
        self.out.push('\n');
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return self.out;
        };
        for (key, prop) in props {
            let node = self.resolve(prop);
            let _ = writeln!(self.out, "### `{key}`\n");
            // A section's own text: what its definition says, else what the key says.
            if has_fields(&node)
                && let Some(text) = node.def.and_then(description).or_else(|| description(prop))
            {
                let _ = writeln!(self.out, "{text}\n");
            }
            self.out
                .push_str("| key | type | default | description |\n|---|---|---|---|\n");
            if has_fields(&node) {
                self.nested(key, &node);
            } else {
                self.rows(key, prop, &node, false);
            }
            self.out.push('\n');
        }
        self.out
    }

    /// Follows `$ref` and `anyOf: [X, null]` to the schema that says what the key holds.
    fn resolve(&self, schema: &'a Value) -> Node<'a> {
        let mut nullable = type_names(schema).contains(&"null");
        let mut current = schema;
        if let Some(any) = current.get("anyOf").and_then(Value::as_array) {
            let others: Vec<&Value> = any
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            nullable |= others.len() < any.len();
            if others.len() == 1 {
                current = others[0];
            }
        }
        let mut def = None;
        if let Some(target) = current.get("$ref").and_then(Value::as_str) {
            let name = target.trim_start_matches("#/$defs/");
            if let Some(found) = self.defs.and_then(|d| d.get(name)) {
                def = Some(found);
                current = found;
            }
        }
        Node {
            schema: current,
            def,
            nullable,
        }
    }

    /// The row for `path`, then the rows of what it holds (fields, map values, list items).
    fn rows(&mut self, path: &str, prop: &Value, node: &Node<'a>, required: bool) {
        let schema = node.schema;
        let fields = schema.get("properties").and_then(Value::as_object);
        let values = schema
            .get("additionalProperties")
            .filter(|v| v.is_object())
            .map(|v| self.resolve(v));
        let items = schema.get("items").map(|v| self.resolve(v));
        let default = if required {
            "required".to_string()
        } else if fields.is_some() {
            String::new()
        } else {
            prop.get("default").map(show).unwrap_or_default()
        };
        let text = description(prop)
            .or_else(|| node.def.and_then(description))
            .or_else(|| description(schema))
            .or_else(|| items.as_ref().and_then(|i| i.def).and_then(description))
            .unwrap_or_default();
        let _ = writeln!(
            self.out,
            "| `{path}` | {} | {} | {} |",
            cell(&self.type_of(node)),
            cell(&default),
            cell(&text)
        );
        let required_fields: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(fields) = fields {
            for (key, field) in fields {
                let child = self.resolve(field);
                let required = required_fields.contains(&key.as_str());
                self.rows(&format!("{path}.{key}"), field, &child, required);
            }
        }
        if let Some(values) = values.filter(has_fields) {
            self.nested(&format!("{path}.<name>"), &values);
        }
        if let Some(items) = items.filter(has_fields) {
            self.nested(&format!("{path}[]"), &items);
        }
    }

    /// The fields of a struct held in a map or a list, under `path`.
    fn nested(&mut self, path: &str, node: &Node<'a>) {
        let required: Vec<&str> = node
            .schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(fields) = node.schema.get("properties").and_then(Value::as_object) {
            for (key, field) in fields {
                let child = self.resolve(field);
                self.rows(
                    &format!("{path}.{key}"),
                    field,
                    &child,
                    required.contains(&key.as_str()),
                );
            }
        }
    }

    /// What a key holds, in words: `string`, `list of glob`, `one of a, b`, `object`.
    fn type_of(&self, node: &Node<'a>) -> String {
        let schema = node.schema;
        let mut text = if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let names: Vec<String> = values.iter().map(show).collect();
            format!("one of {}", names.join(", "))
        } else if schema.get("properties").is_some() {
            let mut text = "object".to_string();
            if schema.get("maxProperties").and_then(Value::as_u64) == Some(1) {
                let keys: Vec<String> = schema["properties"]
                    .as_object()
                    .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                    .unwrap_or_default();
                let least = schema.get("minProperties").and_then(Value::as_u64) == Some(1);
                let _ = write!(
                    text,
                    " ({} one of {})",
                    if least { "exactly" } else { "at most" },
                    keys.join(", ")
                );
            }
            text
        } else if let Some(items) = schema.get("items") {
            let inner = self.resolve(items);
            let mut text = format!("list of {}", self.type_of(&inner));
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                let _ = write!(text, ", at least {min}");
            }
            text
        } else if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let inner = self.resolve(values);
            if inner.schema.as_object().is_some_and(Map::is_empty) {
                "map".to_string()
            } else {
                format!("map of name to {}", self.type_of(&inner))
            }
        } else {
            self.scalar(schema)
        };
        if node.nullable {
            text.push_str(", optional");
        }
        text
    }

    /// A scalar's type with what constrains it: format, range, pattern, an example.
    fn scalar(&self, schema: &Value) -> String {
        let names: Vec<&str> = type_names(schema)
            .into_iter()
            .filter(|t| *t != "null")
            .collect();
        let mut text = match schema.get("format").and_then(Value::as_str) {
            Some("regex") => "regex".to_string(),
            _ if names.is_empty() => "any".to_string(),
            _ => names.join(" or "),
        };
        let min = schema
            .get("minimum")
            .and_then(Value::as_u64)
            .filter(|m| *m > 0);
        let max = schema.get("maximum").and_then(Value::as_u64);
        match (min, max) {
            (Some(lo), Some(hi)) if lo == hi => {
                let _ = write!(text, ", exactly {lo}");
            }
            (Some(lo), Some(hi)) => {
                let _ = write!(text, ", {lo} to {hi}");
            }
            (Some(lo), None) => {
                let _ = write!(text, ", at least {lo}");
            }
            (None, Some(hi)) => {
                let _ = write!(text, ", at most {hi}");
            }
            (None, None) => {}
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            let _ = write!(text, ", matching `{pattern}`");
        }
        let examples = schema
            .get("examples")
            .filter(|_| schema.get("format").is_none())
            .and_then(Value::as_array);
        if let Some(examples) = examples {
            let shown: Vec<String> = examples.iter().map(show).collect();
            let _ = write!(text, ", e.g. {}", shown.join(", "));
        }
        text
    }
}

fn has_fields(node: &Node<'_>) -> bool {
    node.schema.get("properties").is_some()
}

fn type_names(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A description on one line.
fn description(schema: &Value) -> Option<String> {
    let text = schema.get("description")?.as_str()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A value as the config would write it.
fn show(value: &Value) -> String {
    match value {
        Value::Null => "none".to_string(),
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

/// Text that stays inside one table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// What is wrong with the schema's descriptions, one line each, by JSON pointer: a key (a
/// `properties` entry at any depth, `$defs` included) that has no description of its own,
/// which would leave its row of the reference empty, and a description that names code
/// (`Type::method`, an intra-doc link) instead of config keys.
pub fn description_faults(schema: &Value) -> Vec<String> {
    let mut faults = Vec::new();
    check_descriptions(schema, "#", &mut faults);
    faults
}

fn check_descriptions(schema: &Value, at: &str, faults: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(props) = map.get("properties").and_then(Value::as_object) {
                for (key, prop) in props {
                    if description(prop).is_none_or(|t| t.is_empty()) {
                        faults.push(format!("{at}/properties/{}: no description", pointer(key)));
                    }
                }
            }
            if let Some(text) = description(schema)
                && (text.contains("::") || text.contains("[`"))
            {
                faults.push(format!("{at}: names code, not config: {text}"));
            }
            for (key, value) in map {
                check_descriptions(value, &format!("{at}/{}", pointer(key)), faults);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_descriptions(item, &format!("{at}/{i}"), faults);
            }
        }
        _ => {}
    }
}

/// A key as one step of a JSON pointer (RFC 6901).
fn pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
