package store

import "testing"

// TestMigrationSQLDialectBlocks checks that a migration's block marked for
// one engine reaches that engine alone.
func TestMigrationSQLDialectBlocks(t *testing.T) {
	src := "CREATE TABLE a (b BLOB);\n-- begin sqlite\nCREATE TABLE s (x) WITHOUT ROWID;\n-- end sqlite\n-- begin postgres\nCREATE TABLE p (x INT);\n-- end postgres\nDROP INDEX i;"
	tests := []struct {
		d    dialect
		want string
	}{
		{sqlite, "CREATE TABLE a (b BLOB);\nCREATE TABLE s (x) WITHOUT ROWID;\nDROP INDEX i;"},
		{postgres, "CREATE TABLE a (b BYTEA);\nCREATE TABLE p (x INT);\nDROP INDEX i;"},
	}
	for _, tt := range tests {
		if got := tt.d.migrationSQL(src); got != tt.want {
			t.Errorf("%s: migrationSQL =\n%s\nwant\n%s", tt.d.name, got, tt.want)
		}
	}
}
