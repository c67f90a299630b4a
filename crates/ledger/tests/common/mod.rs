//! Helpers of the shared storage suite: a harness per engine that makes a fresh database
//! per test, and a model log that builds realistic batches and checks a store against
//! everything it should hold.
#![allow(dead_code)]

pub mod harness;
pub mod model;
