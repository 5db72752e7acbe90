//! KPL-aggregated records split back into the user records they carry.
