//! The gate benches' rule set, one text for the verdict bench and the whole-process bench.

/// 100 rules: 80 path-only, 20 with a diff pattern too, plus the dependency rule.
pub fn many_rules() -> String {
    let mut yaml = String::from("version: 1\ngate:\n  rules:\n");
    for i in 0..100 {
        yaml.push_str(&format!(
            "    r{i}: {{paths: [\"svc{i}/secure/**\", \"**/*.r{i}\"]"
        ));
        if i < 20 {
            yaml.push_str(&format!(
                ", diff_patterns: ['(?i)\\bDROP\\s+TABLE\\s+t{i}\\b']"
            ));
        }
        yaml.push_str("}\n");
    }
    yaml.push_str("    dependencies: {new_dependencies: true}\n");
    yaml
}
