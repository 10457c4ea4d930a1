// np700 from C++17 through the RAII wrapper in np700.hpp: a registry and a reader of its shared
// index, an AXB binding, routes from both, and a refusal caught as an exception.
//
//   c++ -std=c++17 -Wall -Wextra -pedantic quickstart.cpp $(pkg-config --cflags --libs np700)
#include "np700.hpp"

#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

constexpr uint64_t T0 = 1767225600; // 2026-01-01T08:00:00+08:00

void print(const char *who, const np700_decision &d) {
    if (d.kind == NP700_DECISION_ROUTE) {
        std::printf("%s: ROUTE to %s shown %s\n", who, d.targets[0], d.display);
    } else if (d.kind == NP700_DECISION_REJECT) {
        std::printf("%s: REJECT %s (SIP %u)\n", who, np700_reject_reason_str(d.reject),
                    unsigned{d.sip_status});
    } else {
        std::printf("%s: decision kind %u\n", who, unsigned{d.kind});
    }
}

} // namespace

int main() {
    try {
        const std::string path = "/tmp/np700-quickstart-cpp-" + std::to_string(getpid());
        np700::Config config;
        config.capacity(1000).shared_path(path);
        np700::Registry registry(config);

        registry.license_block("70020000000", 1, T0);
        const uint32_t tenant = registry.register_tenant("Swift Rides", T0, {NP700_SCENARIO_RIDE_HAILING});
        registry.assign_number(tenant, "70020000000", T0, {"shanghai"});

        np700_bind_request request{};
        request.tenant = tenant;
        request.mode = NP700_MODE_AXB;
        request.a = np700::str("13800000001");   // driver
        request.b = np700::str("13900000001");   // rider
        request.x.tag = np700::str("shanghai");  // pick X automatically
        request.expires_at = T0 + 1800;
        request.policy = np700_policy_default();
        request.consent_ref = np700::str("consent-42");
        const np700_binding_info binding = registry.bind(request, T0);
        std::printf("binding %llu on %s\n", static_cast<unsigned long long>(binding.id), binding.x);

        // The writer routes; so does a switch process attached to the shared index.
        np700::Reader reader(path);
        print("registry", registry.route("13900000001", binding.x, NP700_MEDIA_VOICE, T0 + 5));
        print("reader  ", reader.route("13900000001", binding.x, NP700_MEDIA_VOICE, T0 + 5));
        print("stranger", reader.route("18600000000", binding.x, NP700_MEDIA_VOICE, T0 + 5));

        try {
            registry.unbind(tenant + 1, binding.id, T0 + 10);
        } catch (const np700::Error &e) {
            std::printf("refused as expected: %s\n", e.what());
        }
        registry.unbind(tenant, binding.id, T0 + 10);
        std::printf("%llu bindings live\n",
                    static_cast<unsigned long long>(registry.stats().bindings));
        unlink(path.c_str());
    } catch (const np700::Error &e) {
        std::fprintf(stderr, "np700 error %d: %s\n", e.status(), e.what());
        return 1;
    }
    return 0;
}
