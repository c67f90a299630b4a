//! Small helpers to read `serde_json` values with Go `encoding/json` conventions: a `null`
//! field is the same as an absent one, and field names match case-insensitively when there
//! is no exact match.

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{Error, Result};

/// The field `name`, exact match first, then ASCII case-insensitive (Go's rule); `null` is
/// treated as absent.
pub(crate) fn get_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let v = obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })?;
    if v.is_null() {
        None
    } else {
        Some(v)
    }
}

/// An optional object field; any other JSON type is an error.
pub(crate) fn object<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    path: &'static str,
) -> Result<Option<&'a Map<String, Value>>> {
    match get_field(obj, name) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(Error::malformed(
            path,
            format!("{path} in body must be of type object"),
        )),
    }
}

/// An optional string field; any other JSON type is an error.
pub(crate) fn string<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    path: &'static str,
) -> Result<Option<&'a str>> {
    match get_field(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::malformed(
            path,
            format!("{path} in body must be of type string"),
        )),
    }
}

/// An optional `format: byte` field: a base64 string, decoded. `what` names it in Rekor's
/// error text (`failed parsing base64 data for <what>: …`).
pub(crate) fn bytes(
    obj: &Map<String, Value>,
    name: &str,
    path: &'static str,
    what: &str,
) -> Result<Option<Vec<u8>>> {
    match string(obj, name, path)? {
        None => Ok(None),
        Some(s) => b64::decode_std(s).map(Some).map_err(|e| {
            Error::malformed(path, format!("failed parsing base64 data for {what}: {e}"))
        }),
    }
}

/// The "validation failure list" error go-openapi produces for a missing required field.
pub(crate) fn required(path: &'static str, display: &str) -> Error {
    Error::malformed(
        path,
        format!("validation failure list:\n{display} in body is required"),
    )
}
