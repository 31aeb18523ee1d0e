// Package localpg runs a real PostgreSQL server per Aurora cluster for
// local runs and tests: own data folder, own port on 127.0.0.1, the
// cluster's master user as the bootstrap superuser and its database, so
// that current_user and current_database() read as on AWS and every login
// over TCP checks the master password (scram-sha-256).
//
// The binaries are zonky's builds on Maven Central (see releases), pinned
// by version and SHA-256, downloaded once into the user cache and
// extracted next to it; initdb runs once per release and master username
// into a cached template folder that each new cluster copies. As root,
// initdb and postgres run as nobody (see account).
package localpg
