//! The items API as a library: HTTP routing and validation (`routes`) over a small DynamoDB store (`store`).
//!
//! `main.rs` wires the two to the Lambda runtime; the tests drive them directly, with a fake store or with moto.

pub mod routes;
pub mod store;
