//! The JSON Schema of the config, for editors and `shiprig config schema`.

use schemars::generate::SchemaSettings;

use super::model::Config;

/// Where the schema says it lives; editors use it as the schema's identity.
pub const SCHEMA_ID: &str = "https://shiprig.dev/schema/shiprig.schema.json";

/// The config's JSON Schema (draft 2020-12). Unknown keys are refused
/// (`additionalProperties: false`), as the loader refuses them.
pub fn json_schema() -> serde_json::Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Config>();
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.insert("$id".into(), SCHEMA_ID.into());
    }
    value
}
