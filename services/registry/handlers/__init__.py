"""One async function per command or event."""
