#include "cluster/cluster_event.hpp"

#include <charconv>

#include "util/text.hpp"

namespace socketchat::detail {

namespace {

bool has_target(ClusterEvent::Kind kind) {
  using K = ClusterEvent::Kind;
  return kind == K::joined || kind == K::parted || kind == K::room_message || kind == K::direct ||
         kind == K::moderated || kind == K::kicked;
}

bool has_text(ClusterEvent::Kind kind) {
  using K = ClusterEvent::Kind;
  return kind == K::message || kind == K::room_message || kind == K::direct ||
         kind == K::moderated || kind == K::kicked;
}

// The next tab-separated word of `rest`, taken off it; nothing if there is no tab.
std::optional<std::string_view> next_word(std::string_view& rest) {
  auto tab = rest.find('\t');
  if (tab == std::string_view::npos) return std::nullopt;
  auto word = rest.substr(0, tab);
  rest.remove_prefix(tab + 1);
  return word;
}

}  // namespace

std::optional<ClusterEvent> ClusterEvent::of_message(std::string_view node,
                                                     const HistoryRecord& record,
                                                     std::string& recipient) {
  std::string_view scope = record.scope;
  ClusterEvent event{.node = node, .user = record.from, .text = record.text};
  if (scope == "*") {
    event.kind = Kind::message;
  } else if (scope.starts_with('#')) {
    event.kind = Kind::room_message;
    event.target = scope.substr(1);
  } else if (scope.starts_with('@') && scope.find('|') != std::string_view::npos) {
    event.kind = Kind::direct;
    const auto bar = scope.find('|');
    const std::string_view a = scope.substr(1, bar - 1), b = scope.substr(bar + 1);
    recipient = ascii_lower(record.from) == a ? std::string(b) : std::string(a);
    event.target = recipient;
  } else {
    return std::nullopt;
  }
  return event;
}

std::string ClusterEvent::encode() const {
  std::string out;
  out.reserve(4 + node.size() + user.size() + target.size() + text.size());
  out.push_back(static_cast<char>(kind));
  out.push_back('\t');
  out.append(node);
  out.push_back('\t');
  out.append(user);
  if (has_target(kind)) {
    out.push_back('\t');
    out.append(target);
  }
  if (has_text(kind)) {
    out.push_back('\t');
    out.append(text);
  }
  return out;
}

std::optional<ClusterEvent> ClusterEvent::decode(std::string_view payload) {
  if (payload.size() < 2 || payload[1] != '\t') return std::nullopt;
  ClusterEvent event{.kind = static_cast<Kind>(payload[0])};
  switch (event.kind) {
    case Kind::arrived:
    case Kind::departed:
    case Kind::joined:
    case Kind::parted:
    case Kind::message:
    case Kind::room_message:
    case Kind::direct:
    case Kind::moderated:
    case Kind::kicked:
      break;
    default:
      return std::nullopt;
  }
  std::string_view rest = payload.substr(2);
  auto node = next_word(rest);
  if (!node || node->empty()) return std::nullopt;
  event.node = *node;
  // The last word runs to the end: the user's, the target's, or the text.
  const int words_after_user = (has_target(event.kind) ? 1 : 0) + (has_text(event.kind) ? 1 : 0);
  if (words_after_user == 0) {
    event.user = rest;
  } else {
    auto user = next_word(rest);
    if (!user) return std::nullopt;
    event.user = *user;
    if (has_target(event.kind) && has_text(event.kind)) {
      auto target = next_word(rest);
      if (!target) return std::nullopt;
      event.target = *target;
      event.text = rest;
    } else if (has_target(event.kind)) {
      event.target = rest;
    } else {
      event.text = rest;
    }
  }
  if (event.user.empty()) return std::nullopt;
  return event;
}

std::optional<FeedId> FeedId::parse(std::string_view text) {
  FeedId id;
  const char* end = text.data() + text.size();
  auto [dash, ms_error] = std::from_chars(text.data(), end, id.ms);
  if (ms_error != std::errc{} || dash == end || *dash != '-') return std::nullopt;
  auto [last, seq_error] = std::from_chars(dash + 1, end, id.seq);
  if (seq_error != std::errc{} || last != end || dash + 1 == end) return std::nullopt;
  return id;
}

std::string FeedId::text() const {
  return std::to_string(ms) + "-" + std::to_string(seq);
}

std::optional<KeptEvent> KeptEvent::of(std::string_view text) {
  auto epoch = next_word(text);
  auto n_text = next_word(text);
  auto ms_text = next_word(text);
  if (!epoch || epoch->empty() || !n_text || !ms_text) return std::nullopt;
  KeptEvent kept{.epoch = *epoch, .event = text};
  auto whole = [](std::string_view word, auto& number) {
    auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), number);
    return error == std::errc{} && end == word.data() + word.size() && !word.empty();
  };
  if (!whole(*n_text, kept.n) || !whole(*ms_text, kept.unix_ms) || kept.n == 0) {
    return std::nullopt;
  }
  return kept;
}

std::optional<FeedEntry> FeedEntry::of(std::string_view payload) {
  if (!payload.starts_with("S\t")) return std::nullopt;
  std::string_view rest = payload.substr(2);
  auto id_text = next_word(rest);
  if (!id_text) return std::nullopt;
  auto id = FeedId::parse(*id_text);
  auto kept = KeptEvent::of(rest);
  if (!id || !kept) return std::nullopt;
  return FeedEntry{.id = *id, .kept = *kept};
}

}  // namespace socketchat::detail
