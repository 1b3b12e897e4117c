//! RESP wire format shared by the server, the migration tools and the differential suite: an incremental
//! request decoder (multibulk and inline) with Valkey's limits and error texts, a reply encoder for RESP2
//! and RESP3, a frame parser for the client side, and the number parsing/formatting rules Valkey applies.

pub mod argv;
pub mod frame;
pub mod number;
pub mod reply;
pub mod request;

pub use argv::Argv;
pub use frame::{Frame, FrameError};
pub use reply::ReplyBuffer;
pub use request::{Limits, ProtocolError, RequestParser};
