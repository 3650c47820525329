package cli

import "os"

// writeOutput writes a trace or report to path. One that holds revealed
// secrets is made its owner's only (0600) before any secret is in it,
// also when it replaces a file others could read: os.WriteFile sets the
// mode only of a file it creates. Other files are created 0644.
func writeOutput(path string, data []byte, revealed bool) error {
	if !revealed {
		return os.WriteFile(path, data, 0o644)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
