package mockprovider

import (
	"net/http"
	"time"
)

func (p *Provider) serveAdmin(w http.ResponseWriter, r *http.Request, sub string, start time.Time) {
	http.Error(w, "not yet", 501)
}
