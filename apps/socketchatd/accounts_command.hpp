#pragma once

namespace socketchatd {

// `socketchatd accounts <add|passwd|remove|list|grant-op|revoke-op|revoke-tokens> ...`:
// the operator's way to the accounts in <data-dir>/accounts.db, safe to run beside a
// server using the same file. `argv[0]` is "accounts". Returns the exit status: 0 done,
// 1 refused or failed (no such account, name taken, weak password, storage error),
// 2 a usage error (or a build without SQLite).
int accounts_command(int argc, char** argv);

}  // namespace socketchatd
