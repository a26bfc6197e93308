"""The libvirt driver: capabilities in, domain XML out, lifecycle and
events through libvirt-python."""
