package microsoft_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/refreshproof/refreshproof/mockprovider"
	"github.com/refreshproof/refreshproof/mockprovider/microsoft"
)

// benchGraph measures one Graph request served in-process, token check
// and journal included.
func benchGraph(b *testing.B, path string) {
	p, err := mockprovider.New(microsoft.New(microsoft.Options{}), mockprovider.Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	at := p.Initial().Access.Value
	u, err := url.Parse(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL = u
		req.Host = microsoft.GraphHost
		req.Header.Set("Authorization", "Bearer "+at)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func BenchmarkGraphEventsFilter(b *testing.B) {
	benchGraph(b, "/v1.0/me/events?$filter="+url.QueryEscape("start/dateTime le '2025-03-17T09:30:00Z' and end/dateTime ge '2025-03-17T09:30:00Z'"))
}

func BenchmarkGraphFolderMessagesSince(b *testing.B) {
	benchGraph(b, "/v1.0/me/mailFolders/inbox/messages?$orderby="+url.QueryEscape("lastModifiedDateTime asc")+"&$top=1000&$filter="+url.QueryEscape("lastModifiedDateTime gt 2025-03-01T00:00:00Z"))
}

func BenchmarkGraphDriveChildren(b *testing.B) {
	benchGraph(b, "/v1.0/drives/"+microsoft.DriveID+"/root/children")
}
