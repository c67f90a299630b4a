//! The entry endpoints: create, get by index, get by UUID / entry ID, and batch retrieve.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{HeaderValue, CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sigstack_ledger::store::{Store, StoredEntry};
use sigstack_ledger::{EntryOutcome, LedgerError, Submission};
use sigstack_merkle::leaf_hash;

use super::canonical;
use super::error::{ApiError, SchemaCode};
use super::query::{Query, ENTRY_ID_PATTERN};
use super::{body, entry_location, json, metrics, Head, RekorService};
use crate::entries_to_json;
use crate::{parse_entry_ref, EntryRef, Kind, WorkBudget};

/// Most criteria of each kind, and in total, one retrieve request may carry (Rekor's).
const MAX_RETRIEVE_ITEMS: usize = 10;

/// A response carrying JSON text the entry layer wrote, with the handler newline.
fn entry_response(status: StatusCode, mut json_text: String) -> Response {
    json_text.push('\n');
    let mut r = (status, json_text).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(json::CONTENT_TYPE));
    r
}

/// A JSON response with Rekor's content type; handler bodies end with a newline.
pub(crate) fn json_response<T: serde::Serialize + ?Sized>(status: StatusCode, v: &T) -> Response {
    let mut r = (status, json::encode(v, true)).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(json::CONTENT_TYPE));
    r
}

/// `POST /api/v1/log/entries`: validate, canonicalize, integrate, answer 201 with the entry,
/// its SET and an inclusion proof against the checkpoint of the batch that integrated it.
/// A canonical body already in the log gets 409 with that entry's `Location`; nothing is
/// written for any rejected request.
pub(crate) async fn create<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let mut kind = None;
    let result = create_counted(&svc, headers, body, &mut kind).await;
    let outcome = match &result {
        Ok(_) => EntryOutcome::Created,
        Err(ApiError::Duplicate { .. }) => EntryOutcome::Duplicate,
        Err(e) if e.status().is_server_error() => EntryOutcome::Unavailable,
        Err(_) => EntryOutcome::Rejected,
    };
    svc.metrics().record_entry(kind, outcome);
    result
}

/// The work of [`create`]; sets `kind` as soon as it is known, so refusals are counted
/// under the kind the client named.
async fn create_counted<S: Store>(
    svc: &RekorService<S>,
    headers: HeaderMap,
    body: Body,
    kind: &mut Option<Kind>,
) -> Result<Response, ApiError> {
    let bytes =
        body::json_body(&headers, body, svc.config().max_body_bytes, "proposedEntry").await?;
    // Signature checks and hashing of up to `max_body_bytes` are CPU work: they run in the
    // bounded verification pool, off the async workers that serve reads and drive the
    // sequencer (a full pool is a 503 here).
    let (canonical, peeked) = svc
        .verify_pool()
        .run(move |budget| {
            let canonical = canonical::for_insert(&bytes, budget);
            let peeked = match &canonical {
                Ok(c) => metrics::kind_of_label(&c.kind),
                Err(_) => metrics::peek_kind(&bytes),
            };
            (canonical, peeked)
        })
        .await?;
    *kind = peeked;
    let canonical =
        canonical.map_err(|e| ApiError::from_entry_error(e, "error processing entry: "))?;
    let leaf = leaf_hash(&canonical.body);
    let submission = Submission {
        body: canonical.body,
        kind: canonical.kind,
        search_keys: canonical.search_keys,
        receipt: None,
    };
    let accepted = match svc.ledger().submit(submission).await {
        Ok(accepted) => accepted,
        Err(LedgerError::Duplicate { .. }) => {
            return Err(ApiError::Duplicate {
                entry_id: svc.entry_id(&leaf),
            })
        }
        Err(e) => return Err(e.into()),
    };
    let checkpoint = String::from_utf8(accepted.checkpoint)
        .map_err(|_| ApiError::Internal("the new checkpoint is not UTF-8 text".to_owned()))?;
    let head = Head {
        size: accepted.tree_size,
        root: accepted.root,
        checkpoint,
    };
    let entry = svc.render(accepted.entry, &head, accepted.inclusion_proof)?;
    let id = entry.entry_id.to_string();
    let location = entry_location(&id);
    let mut response = entry_response(StatusCode::CREATED, entry.to_json());
    let h = response.headers_mut();
    // Both values are hex and a fixed path, always valid header values.
    if let (Ok(etag), Ok(location)) = (HeaderValue::from_str(&id), HeaderValue::from_str(&location))
    {
        h.insert(ETAG, etag);
        h.insert(LOCATION, location);
    }
    Ok(response)
}

/// `GET /api/v1/log/entries?logIndex=N`: the entry at a global index, or an empty 404.
pub(crate) async fn get_by_index<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let index = query
        .int64("logIndex", true, 0)?
        .and_then(|i| u64::try_from(i).ok())
        .ok_or(ApiError::EntryNotFound)?;
    let head = svc.head().await?;
    if index >= head.size {
        return Err(ApiError::EntryNotFound);
    }
    let entry = svc
        .ledger()
        .entry(index)
        .await?
        .ok_or(ApiError::EntryNotFound)?;
    let entry = svc.render_current(entry, &head).await?;
    Ok(entry_response(StatusCode::OK, entry.to_json()))
}

/// `GET /api/v1/log/entries/{entryUUID}`: by 64-hex UUID or 80-hex entry ID. An entry ID of
/// another tree (including the all-zero tree, where Rekor answers 500) is not found here.
pub(crate) async fn get_by_uuid<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let entry_ref = parse_entry_ref(&raw).map_err(|_| {
        ApiError::schema(
            SchemaCode::Pattern,
            format!("entryUUID in path should match '{ENTRY_ID_PATTERN}'"),
        )
    })?;
    let entry = lookup(&svc, entry_ref)
        .await?
        .ok_or(ApiError::EntryNotFound)?;
    // Read after the lookup: the tree head then always covers the entry found.
    let head = svc.head().await?;
    let entry = svc.render_current(entry, &head).await?;
    Ok(entry_response(StatusCode::OK, entry.to_json()))
}

/// The entry a UUID or entry ID names in this log, if any.
async fn lookup<S: Store>(
    svc: &RekorService<S>,
    entry_ref: EntryRef,
) -> Result<Option<StoredEntry>, ApiError> {
    if entry_ref
        .tree_id()
        .is_some_and(|tree| tree != svc.config().tree_id)
    {
        return Ok(None);
    }
    Ok(svc
        .ledger()
        .entry_by_leaf(entry_ref.uuid().as_bytes())
        .await?)
}

/// The optional list field `name` of a retrieve request: absent and `null` are both "none";
/// anything but an array of at most ten items is a schema error.
fn list_field<'a>(query: &'a Value, name: &str) -> Result<&'a [Value], ApiError> {
    match query.get(name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) if items.len() > MAX_RETRIEVE_ITEMS => Err(ApiError::schema(
            SchemaCode::MaxItems,
            format!("{name} in body should have at most {MAX_RETRIEVE_ITEMS} items"),
        )),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ApiError::schema(
            SchemaCode::WrongType,
            format!("{name} in body must be of type array"),
        )),
    }
}

/// What a retrieve request asks for, decoded and checked.
struct Criteria {
    by_id: Vec<EntryRef>,
    by_leaf: Vec<[u8; 32]>,
    log_indexes: Vec<u64>,
}

/// `POST /api/v1/log/entries/retrieve`: entries by entry IDs / UUIDs, proposed entries and
/// log indexes. Results come in Rekor's order (80-hex IDs, then UUIDs and proposed entries,
/// then indexes), misses are skipped, repeats are kept, nothing found is `[]`.
///
/// The body is decoded and its proposed entries verified in the verification pool: a
/// proposed entry costs what a create costs.
pub(crate) async fn retrieve<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = body::json_body(&headers, body, svc.config().max_body_bytes, "entry").await?;
    let Criteria {
        by_id,
        by_leaf,
        log_indexes,
    } = svc
        .verify_pool()
        .run(move |budget| decode_retrieve(&bytes, budget))
        .await??;

    let mut found = Vec::new();
    for entry_ref in by_id {
        found.extend(lookup(&svc, entry_ref).await?);
    }
    for leaf in by_leaf {
        found.extend(svc.ledger().entry_by_leaf(&leaf).await?);
    }
    for index in log_indexes {
        found.extend(svc.ledger().entry(index).await?);
    }
    // Read after the lookups: the tree head then covers every entry found.
    let head = svc.head().await?;
    let mut results = Vec::with_capacity(found.len());
    for entry in found {
        results.push(svc.render_current(entry, &head).await?);
    }
    Ok(entry_response(StatusCode::OK, entries_to_json(&results)))
}

/// The criteria of a retrieve body, with the schema errors Rekor gives, proposed entries
/// canonicalized (and verified) within `budget`.
fn decode_retrieve(bytes: &[u8], budget: &WorkBudget) -> Result<Criteria, ApiError> {
    let query: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid JSON: {e}")))?;
    if !query.is_object() {
        return Err(ApiError::BadRequest(
            "the request body must be a JSON object".to_owned(),
        ));
    }
    let uuids = list_field(&query, "entryUUIDs")?;
    let indexes = list_field(&query, "logIndexes")?;
    let proposed = list_field(&query, "entries")?;

    let mut by_id = Vec::new();
    let mut by_leaf = Vec::new();
    for (i, item) in uuids.iter().enumerate() {
        let entry_ref = item
            .as_str()
            .and_then(|s| parse_entry_ref(s).ok())
            .ok_or_else(|| {
                ApiError::schema(
                    SchemaCode::Pattern,
                    format!("entryUUIDs.{i} in body should match '{ENTRY_ID_PATTERN}'"),
                )
            })?;
        match entry_ref {
            EntryRef::EntryId(_) => by_id.push(entry_ref),
            EntryRef::Uuid(uuid) => by_leaf.push(*uuid.as_bytes()),
        }
    }
    let mut log_indexes = Vec::with_capacity(indexes.len());
    for (i, item) in indexes.iter().enumerate() {
        let n = item.as_i64().ok_or_else(|| {
            ApiError::schema(
                SchemaCode::WrongType,
                format!("logIndexes.{i} in body must be of type int64"),
            )
        })?;
        let n = u64::try_from(n).map_err(|_| {
            ApiError::schema(
                SchemaCode::Minimum,
                format!("logIndexes.{i} in body should be greater than or equal to 0"),
            )
        })?;
        log_indexes.push(n);
    }
    if uuids.len() + indexes.len() + proposed.len() > MAX_RETRIEVE_ITEMS {
        return Err(ApiError::Unprocessable(format!(
            "more than max allowed {MAX_RETRIEVE_ITEMS} entries in request"
        )));
    }
    for (i, item) in proposed.iter().enumerate() {
        if !item.is_object() {
            return Err(ApiError::BadRequest(format!(
                "parsing entry body failed: entries.{i} is not a JSON object"
            )));
        }
        // Rekor answers 400 for any entry of a retrieve that does not canonicalize, schema
        // problems included.
        let leaf = canonical::leaf_for_lookup(item, budget).map_err(|e| match e {
            crate::Error::Abandoned => ApiError::Timeout,
            e => ApiError::BadRequest(e.to_string()),
        })?;
        by_leaf.push(leaf);
    }
    Ok(Criteria {
        by_id,
        by_leaf,
        log_indexes,
    })
}
