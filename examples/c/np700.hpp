// np700.hpp — a small C++17 RAII wrapper over the np700 C ABI (example-grade; header-only).
//
// Handles are owned by move-only classes and freed in destructors; a status other than
// NP700_OK throws np700::Error carrying the status and the library's message. Routing stays
// allocation-free: route() returns the C decision struct by value.
#pragma once

#include <np700.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace np700 {

/// A failed call: the status and np700's explanation.
class Error : public std::runtime_error {
public:
    Error(np700_status status, const std::string &what)
        : std::runtime_error(what), status_(status) {}
    np700_status status() const noexcept { return status_; }

private:
    np700_status status_;
};

/// Throws Error for anything but NP700_OK, with this thread's last error message.
inline void check(np700_status status) {
    if (status == NP700_OK) {
        return;
    }
    std::string message(512, '\0');
    size_t needed = 0;
    if (np700_last_error(message.data(), message.size(), &needed) != NP700_OK) {
        needed = 1;
    }
    message.resize(needed > 0 ? needed - 1 : 0);
    throw Error(status, std::string(np700_status_str(status)) + ": " + message);
}

/// A string view as the np700_str the C ABI takes (borrowed for the call).
inline np700_str str(std::string_view s) noexcept { return np700_str{s.data(), s.size()}; }

/// Owns one handle; `Free` is its np700_*_free function.
template <typename T, np700_status (*Free)(T *)> class Handle {
public:
    Handle() noexcept = default;
    explicit Handle(T *raw) noexcept : raw_(raw) {}
    Handle(Handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            reset();
            raw_ = std::exchange(other.raw_, nullptr);
        }
        return *this;
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    ~Handle() { reset(); }

    T *get() const noexcept { return raw_; }
    void reset() noexcept {
        if (raw_ != nullptr) {
            (void)Free(raw_); // Cannot fail for a live handle; destructors must not throw.
            raw_ = nullptr;
        }
    }

private:
    T *raw_ = nullptr;
};

/// Registry options.
class Config {
public:
    Config() {
        np700_config *raw = nullptr;
        check(np700_config_new(&raw));
        handle_ = Handle<np700_config, np700_config_free>(raw);
    }
    Config &binding_quarantine(uint64_t secs) {
        check(np700_config_set_binding_quarantine(handle_.get(), secs));
        return *this;
    }
    Config &capacity(size_t bindings) {
        check(np700_config_set_capacity(handle_.get(), bindings));
        return *this;
    }
    Config &shared_path(std::string_view path) {
        check(np700_config_set_shared_path(handle_.get(), path.data(), path.size()));
        return *this;
    }
    const np700_config *get() const noexcept { return handle_.get(); }

private:
    Handle<np700_config, np700_config_free> handle_;
};

/// The writer's registry; safe to share by reference across threads.
class Registry {
public:
    explicit Registry(const Config &config) {
        np700_registry *raw = nullptr;
        check(np700_registry_new(config.get(), &raw));
        handle_ = Handle<np700_registry, np700_registry_free>(raw);
    }

    uint32_t register_tenant(std::string_view name, uint64_t now,
                             const std::vector<np700_scenario> &scenarios = {}) {
        uint32_t id = 0;
        check(np700_registry_register_tenant(handle_.get(), name.data(), name.size(),
                                             scenarios.data(), scenarios.size(), 0, now, &id));
        return id;
    }
    void license_block(std::string_view first, uint32_t count, uint64_t now) {
        check(np700_registry_license_block(handle_.get(), first.data(), first.size(), count,
                                           now));
    }
    void assign_number(uint32_t tenant, std::string_view number, uint64_t now,
                       const std::vector<std::string_view> &tags = {}) {
        std::vector<np700_str> raw;
        for (auto t : tags) {
            raw.push_back(str(t));
        }
        check(np700_registry_assign_number(handle_.get(), tenant, number.data(), number.size(),
                                           raw.data(), raw.size(), now));
    }
    np700_binding_info bind(const np700_bind_request &request, uint64_t now) {
        np700_binding_info info{};
        check(np700_registry_bind(handle_.get(), &request, now, &info));
        return info;
    }
    void unbind(uint32_t tenant, uint64_t binding, uint64_t now) {
        check(np700_registry_unbind(handle_.get(), tenant, binding, now));
    }
    /// Lock-free and allocation-free, from any thread.
    np700_decision route(std::string_view caller, std::string_view dialed, np700_media media,
                         uint64_t now) const {
        np700_decision d{};
        check(np700_route(handle_.get(), caller.data(), caller.size(), dialed.data(),
                          dialed.size(), media, now, &d));
        return d;
    }
    np700_stats stats() const {
        np700_stats s{};
        check(np700_registry_stats(handle_.get(), &s));
        return s;
    }

private:
    Handle<np700_registry, np700_registry_free> handle_;
};

/// A read-only view of a registry's shared index, for switch processes.
class Reader {
public:
    explicit Reader(std::string_view path) {
        np700_reader *raw = nullptr;
        check(np700_reader_attach(path.data(), path.size(), &raw));
        handle_ = Handle<np700_reader, np700_reader_free>(raw);
    }
    np700_decision route(std::string_view caller, std::string_view dialed, np700_media media,
                         uint64_t now) const {
        np700_decision d{};
        check(np700_reader_route(handle_.get(), caller.data(), caller.size(), dialed.data(),
                                 dialed.size(), media, now, &d));
        return d;
    }

private:
    Handle<np700_reader, np700_reader_free> handle_;
};

} // namespace np700
