-- The whole database side of one lead routed through POST /api/v1/leads/, without
-- Python: the statements one request runs (captured around a post, 2026-12-06), in the
-- same order and transaction shape:
--   0. one transaction, its statements planned once for any values (plan_once);
--   1. "seen before?": the submission's source + external id, or an open lead of the
--      duplicate window sharing its e-mail, domain or name;
--   2. the matcher: accounts by domain or name; open leads by domain, name;
--   3. the share counter: lock the scope's lock row, read its counts, write one count;
--   4. the lead; then its stint, its object permissions, its event and the
--      notifications in one statement (portal.db.one_statement).
-- The lookups search new keys (from a random number), as a new lead's do: they use the indexes and find
-- nothing. Each client works on a share scope of its own (as the benchmark's leads
-- spread over territories), so the replay measures work, not one lock row's queue.
-- Run after bench/bench_api_intake.py, on its database, with 1 and with 4 clients:
--
--   pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 1 -j 1 -T 15 \
--       -f bench/intake_writes.sql portal_bench_api
--   pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 4 -j 2 -T 15 \
--       -f bench/intake_writes.sql portal_bench_api
--   echo "INSERT INTO bench_bare (body) VALUES ('{}') RETURNING id;" > /tmp/bare.sql
--   pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 4 -j 2 -T 15 -f /tmp/bare.sql portal_bench_api
--
-- The new rows copy the newest lead, stint, event, permissions and notifications.
-- (pgbench reads ":name" as a variable even inside quotes: hence chr(58) for a colon.)
\set back random(0, 500)
\set k random(1, 2000000000)
BEGIN;
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT id, source, external_id FROM leads_lead WHERE ((source = 'web' AND external_id = 'new-' || :k AND external_id <> '') OR ((contact_email = ANY(ARRAY['new-' || :k || '@x.example']) OR (website_domain = ANY(ARRAY['new-' || :k || '.example']) AND website_domain <> '') OR (email_domain = ANY(ARRAY['new-' || :k || '.example']) AND email_domain <> '') OR (company_normalized = 'new ' || :k AND country = 'NL')) AND status IN ('new', 'accepted', 'contacted', 'meeting', 'proposal') AND created_at >= now() - interval '30 days' AND erased_at IS NULL)) ORDER BY (source = 'web' AND external_id = 'x') DESC, created_at, id LIMIT 1;
SELECT id FROM leads_account WHERE ((vat_number = ANY(ARRAY['new-' || :k]) AND vat_number <> '') OR (website_domain = ANY(ARRAY['new-' || :k || '.example']) AND website_domain <> '') OR normalized_name = ANY(ARRAY['new-' || :k]));
SELECT id FROM leads_lead WHERE ((website_domain = ANY(ARRAY['new-' || :k || '.example']) AND website_domain <> '') OR (email_domain = ANY(ARRAY['new-' || :k || '.example']) AND email_domain <> '') OR company_normalized = ANY(ARRAY['new-' || :k])) AND status IN ('new', 'accepted', 'contacted', 'meeting', 'proposal') AND erased_at IS NULL ORDER BY created_at LIMIT 100;
SELECT id FROM leads_sharecounter WHERE owner = '~lock' AND scope = (SELECT scope FROM leads_sharecounter WHERE owner = '~lock' ORDER BY scope OFFSET :client_id::int LIMIT 1) ORDER BY scope FOR UPDATE;
SELECT scope, owner, count FROM leads_sharecounter WHERE scope = (SELECT scope FROM leads_sharecounter WHERE owner = '~lock' ORDER BY scope OFFSET :client_id::int LIMIT 1) AND owner <> '~lock';
INSERT INTO leads_sharecounter (scope, owner, count) SELECT scope, 'dealer' || chr(58) || 'bench', 1 FROM leads_sharecounter WHERE owner = '~lock' ORDER BY scope OFFSET :client_id::int LIMIT 1 ON CONFLICT (scope, owner) DO UPDATE SET count = leads_sharecounter.count + 1;
INSERT INTO leads_lead (company_name, company_normalized, website, website_domain, email_domain, vat_number, coc_number, country, postcode, postcode_number, city, sector, contact_name, contact_email, contact_phone, contact_role, message, language, estimated_value, temperature, qualification, sales_ready, source, external_id, status, status_changed_at, next_step, next_step_on, won_value, close_reason, close_note, closed_at, assigned_at, routing_rule, routing_reason, routing_candidates, first_update_due_at, reminder_due_at, escalation_due_at, recycle_due_at, created_at, updated_at, erased_at, account_id, dealer_assignee_id, integration_id, owner_dealer_id, owner_user_id, submitted_by_id, submitted_by_dealer_id, owner_queue_id)
  SELECT company_name, company_normalized, website, website_domain, email_domain, vat_number, coc_number, country, postcode, postcode_number, city, sector, contact_name, contact_email, contact_phone, contact_role, message, language, estimated_value, temperature, qualification, sales_ready, source, md5(random()::text), status, status_changed_at, next_step, next_step_on, won_value, close_reason, close_note, closed_at, assigned_at, routing_rule, routing_reason, routing_candidates, first_update_due_at, reminder_due_at, escalation_due_at, recycle_due_at, created_at, updated_at, erased_at, account_id, dealer_assignee_id, integration_id, owner_dealer_id, owner_user_id, submitted_by_id, submitted_by_dealer_id, owner_queue_id FROM leads_lead WHERE id = (SELECT max(id) FROM leads_lead) - :back::bigint RETURNING id AS lead_id \gset
WITH l AS (SELECT :lead_id::bigint AS id), a AS (INSERT INTO leads_assignment (lead_id, owner_dealer_id, owner_user_id, owner_queue_id, rule, started_at, sla_due_at, estimated_value, ended_at, end_reason) SELECT l.id, s.owner_dealer_id, s.owner_user_id, s.owner_queue_id, s.rule, s.started_at, s.sla_due_at, s.estimated_value, null, '' FROM l, leads_assignment s WHERE s.id = (SELECT max(id) FROM leads_assignment))
, p AS (INSERT INTO leads_leadgroupobjectpermission (content_object_id, group_id, permission_id) SELECT l.id, g.group_id, g.permission_id FROM l, (SELECT DISTINCT group_id, permission_id FROM (SELECT group_id, permission_id FROM leads_leadgroupobjectpermission ORDER BY id DESC LIMIT 4) newest) g)
, e AS (INSERT INTO leads_leadevent (lead_id, kind, actor_id, at, from_owner, to_owner, reason, data) SELECT l.id, s.kind, s.actor_id, s.at, s.from_owner, s.to_owner, s.reason, s.data FROM l, leads_leadevent s WHERE s.id = (SELECT max(id) FROM leads_leadevent))
, n AS (INSERT INTO users_notification (recipient_id, kind, subject, body, url, lead_id, created_at, read_at, send_email, email_claimed_at, emailed_at) SELECT s.recipient_id, s.kind, s.subject, s.body, s.url, l.id, s.created_at, null, s.send_email, null, null FROM l, (SELECT * FROM users_notification ORDER BY id DESC LIMIT 3) s)
SELECT count(*) FROM l;
COMMIT;
