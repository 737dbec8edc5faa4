//! The 21 members of an AEF/1 record (SPEC section 1), defined once: their names, their order
//! and what each holds. Every serializer of the service (the record as JSON, compact JSON and
//! canonical JSON, the SQLite columns it reads and writes, the dumps) iterates [`Member::ALL`]
//! or [`Member::CANONICAL`] instead of spelling the members out.
//!
//! Invariants:
//! * [`Member::ALL`] lists every member once, in the order of SPEC section 1, which is also the
//!   column order of the table `audit_log`: `Member::ALL[m.column()] == m`;
//! * [`Member::CANONICAL`] lists the same members sorted by name (UTF-16 code units, which for
//!   these ASCII names is byte order): the member order of a canonical record;
//! * every name is a lowercase ASCII identifier, so it needs no escaping in JSON, CSV or SQL.

/// One member of an AEF/1 record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    Seq,
    EventId,
    TenantId,
    Timestamp,
    Action,
    Severity,
    ActorUserId,
    ActorRole,
    ActorDisplay,
    ActorIp,
    HttpMethod,
    HttpRoute,
    ResourceType,
    ResourceId,
    ResourceDisplay,
    Outcome,
    OutcomeReason,
    Changes,
    Metadata,
    PrevHash,
    Hash,
}

/// What a member holds, and how the table stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer (`seq`): `INTEGER NOT NULL`.
    Integer,
    /// A string, never null: `TEXT NOT NULL`.
    Text,
    /// A string or null: `TEXT`.
    OptionalText,
    /// A JSON object, stored as its text: `TEXT NOT NULL` (a null read back is taken as `{}`).
    Object,
    /// A JSON object or null, stored as its text: `TEXT`.
    OptionalObject,
}

impl Kind {
    /// Whether the table refuses a null in this member's column.
    pub const fn not_null(self) -> bool {
        matches!(self, Kind::Integer | Kind::Text | Kind::Object)
    }
}

/// The number of members.
pub const COUNT: usize = 21;

impl Member {
    /// Every member, in SPEC section 1 (and column) order.
    pub const ALL: [Member; COUNT] = [
        Member::Seq,
        Member::EventId,
        Member::TenantId,
        Member::Timestamp,
        Member::Action,
        Member::Severity,
        Member::ActorUserId,
        Member::ActorRole,
        Member::ActorDisplay,
        Member::ActorIp,
        Member::HttpMethod,
        Member::HttpRoute,
        Member::ResourceType,
        Member::ResourceId,
        Member::ResourceDisplay,
        Member::Outcome,
        Member::OutcomeReason,
        Member::Changes,
        Member::Metadata,
        Member::PrevHash,
        Member::Hash,
    ];

    /// Every member, in canonical order (sorted by name).
    pub const CANONICAL: [Member; COUNT] = canonical_order();

    /// The member's name in a record (and the column's name in the table).
    pub const fn name(self) -> &'static str {
        match self {
            Member::Seq => "seq",
            Member::EventId => "event_id",
            Member::TenantId => "tenant_id",
            Member::Timestamp => "timestamp",
            Member::Action => "action",
            Member::Severity => "severity",
            Member::ActorUserId => "actor_user_id",
            Member::ActorRole => "actor_role",
            Member::ActorDisplay => "actor_display",
            Member::ActorIp => "actor_ip",
            Member::HttpMethod => "http_method",
            Member::HttpRoute => "http_route",
            Member::ResourceType => "resource_type",
            Member::ResourceId => "resource_id",
            Member::ResourceDisplay => "resource_display",
            Member::Outcome => "outcome",
            Member::OutcomeReason => "outcome_reason",
            Member::Changes => "changes",
            Member::Metadata => "metadata",
            Member::PrevHash => "prev_hash",
            Member::Hash => "hash",
        }
    }

    /// What the member holds.
    pub const fn kind(self) -> Kind {
        match self {
            Member::Seq => Kind::Integer,
            Member::ActorIp
            | Member::HttpMethod
            | Member::HttpRoute
            | Member::ResourceType
            | Member::ResourceId
            | Member::ResourceDisplay
            | Member::OutcomeReason => Kind::OptionalText,
            Member::Changes => Kind::OptionalObject,
            Member::Metadata => Kind::Object,
            _ => Kind::Text,
        }
    }

    /// Whether a new event must name this member: the store fills `seq`, `event_id`,
    /// `timestamp` and the hashes, and `outcome` defaults to `success`.
    pub const fn required_in_new_event(self) -> bool {
        matches!(
            self,
            Member::TenantId
                | Member::Action
                | Member::Severity
                | Member::ActorUserId
                | Member::ActorRole
                | Member::ActorDisplay
        )
    }

    /// The member's position in [`Member::ALL`], which is its column's index in `audit_log`.
    pub const fn column(self) -> usize {
        self as usize
    }

    /// The member named `name`, if any.
    pub fn from_name(name: &str) -> Option<Member> {
        Member::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// The member names in [`Member::ALL`] order: the columns of `audit_log`.
pub const COLUMNS: [&str; COUNT] = {
    let mut names = [""; COUNT];
    let mut i = 0;
    while i < COUNT {
        names[i] = Member::ALL[i].name();
        i += 1;
    }
    names
};

/// `a < b` by bytes (`Ord for str` is not usable in a constant).
const fn name_before(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// [`Member::ALL`] sorted by name (insertion sort, at compile time).
const fn canonical_order() -> [Member; COUNT] {
    let mut order = Member::ALL;
    let mut i = 1;
    while i < COUNT {
        let mut j = i;
        while j > 0 && name_before(order[j].name(), order[j - 1].name()) {
            let t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
            j -= 1;
        }
        i += 1;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_column_order_and_names_are_plain() {
        for (i, m) in Member::ALL.iter().enumerate() {
            assert_eq!(m.column(), i);
            assert_eq!(Member::from_name(m.name()), Some(*m));
            assert!(m
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(Member::from_name("nope"), None);
    }

    #[test]
    fn canonical_is_sorted_by_utf16_code_units() {
        let mut want: Vec<&str> = COLUMNS.to_vec();
        want.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
        let have: Vec<&str> = Member::CANONICAL.iter().map(|m| m.name()).collect();
        assert_eq!(have, want);
    }
}
