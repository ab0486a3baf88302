#pragma once

namespace socketchat::detail {

// What a decoder does after handing over one unit (a line, a command).
enum class Flow {
  next,   // go on
  stop,   // stop after this unit
  retry,  // stop before this unit: it was not taken, and will be fed again
};

}  // namespace socketchat::detail
