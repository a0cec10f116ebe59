//! Request bodies several test targets send.

use akamai_sdk::edgekv::types::PostNamespaceBody;

/// The namespace of the EdgeKV documentation's example: `marketing`, kept 182 days
/// (15,724,800 s), in access group 4284.
pub(crate) fn marketing_namespace() -> PostNamespaceBody {
    PostNamespaceBody::builder()
        .namespace("marketing")
        .retention_in_seconds(15_724_800)
        .group_id(4284)
        .try_into()
        .expect("the example namespace has every required field")
}
