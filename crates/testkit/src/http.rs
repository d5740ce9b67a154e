//! Loopback HTTP fixture server (being written).
