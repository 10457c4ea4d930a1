//! The lock-free block table (see below).
#![forbid(unsafe_code)]
