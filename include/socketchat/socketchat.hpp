#pragma once

// The whole public API in one include.
#include "socketchat/account_store.hpp"
#include "socketchat/async_sink.hpp"
#include "socketchat/callback_sink.hpp"
#include "socketchat/error.hpp"
#include "socketchat/event.hpp"
#include "socketchat/event_sink.hpp"
#include "socketchat/fanout_sink.hpp"
#include "socketchat/filter_sink.hpp"
#include "socketchat/history_store.hpp"
#include "socketchat/json_sink.hpp"
#include "socketchat/local_user.hpp"
#include "socketchat/log_sink.hpp"
#include "socketchat/memory_account_store.hpp"
#include "socketchat/memory_history_store.hpp"
#include "socketchat/moderation.hpp"
#include "socketchat/options.hpp"
#include "socketchat/owned_event.hpp"
#include "socketchat/recording_sink.hpp"
#include "socketchat/server.hpp"
#include "socketchat/signals.hpp"
#if SOCKETCHAT_HAS_SQLITE
#include "socketchat/sqlite_account_store.hpp"
#include "socketchat/sqlite_history_store.hpp"
#endif
#include "socketchat/stream_sink.hpp"
#include "socketchat/version.hpp"
