#pragma once

#include <string>

namespace socketchat::detail {

// A new history's epoch (HistoryStore::epoch): 8 random characters of 0-9 a-z, about
// 41 bits, so that two histories started anew are told apart.
std::string new_history_epoch();

}  // namespace socketchat::detail
