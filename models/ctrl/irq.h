// Interrupt line from the controller to the host: a level plus an event that is
// notified whenever the level changes. The controller drives an `irq_out`, the host
// owns an `irq_in` and waits on its event (WFI). platform/: `m_ctrl.irq.bind(m_host.irq)`.
#pragma once
#include <systemc>

namespace dtq {

class irq_in {
public:
    bool level() const { return m_level; }
    // Notified (delta) on every level change.
    const sc_core::sc_event& changed() const { return m_changed; }
    void write(bool level) {
        if (level == m_level) return;
        m_level = level;
        m_changed.notify(sc_core::SC_ZERO_TIME);
    }

private:
    bool m_level = false;
    sc_core::sc_event m_changed;
};

class irq_out {
public:
    void bind(irq_in& in) {
        m_in = &in;
        m_in->write(m_level);
    }
    bool bound() const { return m_in != nullptr; }
    bool level() const { return m_level; }
    void write(bool level) {
        m_level = level;
        if (m_in) m_in->write(level);
    }

private:
    bool m_level = false;
    irq_in* m_in = nullptr;
};

}  // namespace dtq
