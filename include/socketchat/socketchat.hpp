#pragma once

// The whole public API in one include.
#include "socketchat/error.hpp"
#include "socketchat/event.hpp"
#include "socketchat/event_sink.hpp"
#include "socketchat/json_sink.hpp"
#include "socketchat/log_sink.hpp"
#include "socketchat/options.hpp"
#include "socketchat/server.hpp"
#include "socketchat/version.hpp"
