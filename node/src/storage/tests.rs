use super::tests_support::sample_event;
use super::*;
use tradeledger_types::*;

fn block_at(height: u64, events: Vec<SignedEvent>) -> Block {
    let ids: Vec<EventId> = events.iter().map(SignedEvent::id).collect();
    Block {
        header: BlockHeader {
            chain_id: "test-chain".into(),
            height,
            round: height,
            parent_hash: Hash32::ZERO,
            proposer: SecretKey::from_seed([1; 32]).public(),
            block_time_ms: 1_000 * height,
            events_root: events_root(&ids),
            event_count: u32::try_from(ids.len()).expect("small"),
            state_root: Hash32::ZERO,
            results_root: Hash32::ZERO,
        },
        justify: QuorumCertificate::genesis("test-chain", Hash32::ZERO),
        timeout_cert: None,
        events,
    }
}

fn commit_of(block: Block) -> BlockCommit {
    let outcomes = block
        .events
        .iter()
        .map(|e| tradeledger_contracts::EventOutcome {
            event_id: e.id(),
            status: tradeledger_contracts::Status::Applied,
            records: Vec::new(),
        })
        .collect();
    BlockCommit {
        certificate: QuorumCertificate::genesis("test-chain", block.hash()),
        block,
        outcomes,
        state_writes: vec![(b"k".to_vec(), Some(b"v".to_vec()))],
        result: BlockResultRecord {
            state_root: Hash32([9; 32]),
            results_root: Hash32([8; 32]),
        },
    }
}

#[test]
fn committed_block_reads_back_with_indexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), Hash32([1; 32])).expect("open");
    assert_eq!(store.committed_height().expect("h"), 0);
    let ev = sample_event(5, 1);
    let block = block_at(1, vec![ev.clone()]);
    store
        .commit_block(&mut commit_of(block.clone()))
        .expect("commit");
    assert_eq!(store.committed_height().expect("h"), 1);
    assert_eq!(store.block(1).expect("read"), Some(block.clone()));
    assert_eq!(store.height_of(&block.hash()).expect("idx"), Some(1));
    let (back, record) = store.event(&ev.id()).expect("read").expect("present");
    assert_eq!(back, ev);
    assert_eq!((record.height, record.index), (1, 0));
    assert_eq!(
        store.shipment_events("SHP-1", 10).expect("scan"),
        vec![ev.id()]
    );
    assert_eq!(store.signer_last_seq(&ev.body.signer).expect("seq"), 1);
    assert_eq!(
        store
            .signer_last_seq(&SecretKey::from_seed([6; 32]).public())
            .expect("seq"),
        0
    );
    assert_eq!(store.state_get(b"k").expect("state"), Some(b"v".to_vec()));
    assert_eq!(
        store.block_result(1).expect("res").map(|r| r.state_root),
        Some(Hash32([9; 32]))
    );
}

#[test]
fn commits_must_follow_the_committed_height() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), Hash32([1; 32])).expect("open");
    let err = store
        .commit_block(&mut commit_of(block_at(2, Vec::new())))
        .expect_err("gap");
    assert!(matches!(
        err,
        StorageError::OutOfOrder {
            committed: 0,
            got: 2
        }
    ));
}

#[test]
fn safety_record_and_data_survive_reopen_and_genesis_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path(), Hash32([1; 32])).expect("open");
        store.put_safety(b"safe", &[]).expect("put");
        store
            .commit_block(&mut commit_of(block_at(1, Vec::new())))
            .expect("commit");
    }
    let store = Store::open(dir.path(), Hash32([1; 32])).expect("reopen");
    assert_eq!(store.safety().expect("get"), Some(b"safe".to_vec()));
    assert_eq!(store.committed_height().expect("h"), 1);
    drop(store);
    let err = Store::open(dir.path(), Hash32([2; 32])).expect_err("other genesis");
    assert!(matches!(err, StorageError::WrongGenesis { .. }));
}

#[test]
fn a_database_of_another_storage_format_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path(), Hash32([1; 32])).expect("open");
        // What a build from before storage formats were recorded leaves: no format key.
        let meta = store.cf(CF_META).expect("meta");
        store.db.delete_cf(meta, META_FORMAT).expect("delete");
    }
    let err = Store::open(dir.path(), Hash32([1; 32])).expect_err("format 1");
    assert!(
        matches!(
            err,
            StorageError::WrongFormat {
                found: 1,
                expected: STORAGE_FORMAT
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("empty data directory"), "{err}");
}

#[test]
fn uncommitted_blocks_stored_with_the_safety_record_last_until_their_height_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (b1, b2) = (block_at(1, Vec::new()), block_at(2, Vec::new()));
    let mut fork2 = block_at(2, Vec::new());
    fork2.header.round = 7;
    {
        let store = Store::open(dir.path(), Hash32([1; 32])).expect("open");
        store
            .put_safety(b"one", &[b1.clone(), b2.clone()])
            .expect("put");
        store.put_safety(b"two", &[fork2.clone()]).expect("put");
    }
    // They survive a restart, lowest height first.
    let store = Store::open(dir.path(), Hash32([1; 32])).expect("reopen");
    let mut found = store.uncommitted_blocks_above(0).expect("read");
    assert_eq!(found.remove(0), b1);
    found.sort_by_key(|b| b.header.round);
    assert_eq!(found, vec![b2.clone(), fork2.clone()]);
    assert_eq!(store.uncommitted_blocks_above(1).expect("read").len(), 2);
    // Committing height 1 drops b1 only; height 2 drops both blocks at height 2.
    store.commit_block(&mut commit_of(b1)).expect("commit 1");
    assert_eq!(store.uncommitted_blocks_above(0).expect("read").len(), 2);
    store.commit_block(&mut commit_of(b2)).expect("commit 2");
    assert!(store.uncommitted_blocks_above(0).expect("read").is_empty());
    assert_eq!(store.safety().expect("get"), Some(b"two".to_vec()));
}

#[test]
fn rejected_events_do_not_use_up_sequences_and_replays_keep_the_first_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), Hash32([1; 32])).expect("open");
    let applied = sample_event(5, 1);
    store
        .commit_block(&mut commit_of(block_at(1, vec![applied.clone()])))
        .expect("commit 1");
    let gap = sample_event(5, 9);
    let mut c = commit_of(block_at(2, vec![gap.clone(), applied.clone()]));
    for o in &mut c.outcomes {
        o.status = tradeledger_contracts::Status::Rejected(tradeledger_contracts::Rejection {
            code: tradeledger_contracts::RejectCode::SequenceGap,
            detail: "gap".into(),
        });
    }
    store.commit_block(&mut c).expect("commit 2");
    assert_eq!(
        store.signer_last_seq(&applied.body.signer).expect("seq"),
        1,
        "a rejected seq 9 is not used up"
    );
    let (_, first) = store.event(&applied.id()).expect("read").expect("present");
    assert_eq!(
        first.height, 1,
        "the replay in block 2 does not overwrite the first record"
    );
    assert!(first.outcome.is_applied());
    let (_, rejected) = store.event(&gap.id()).expect("read").expect("present");
    assert_eq!((rejected.height, rejected.outcome.is_applied()), (2, false));
}

#[test]
fn block_pages_stop_at_their_byte_budget_but_always_hold_one_block() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path(), Hash32([7; 32])).expect("open");
    for h in 1..=5u64 {
        let events = (0..20).map(|i| sample_event(h as u8, i + 1)).collect();
        store
            .commit_block(&mut commit_of(block_at(h, events)))
            .expect("commit");
    }
    let one = store.block_bytes(1).expect("read").expect("block 1").len();
    let all = store.block_page(1, 100, usize::MAX).expect("page");
    assert_eq!(all.len(), 5);
    let two = store.block_page(1, 100, 2 * one + 10).expect("page");
    assert_eq!(
        two.iter()
            .map(|b| b.block.header.height)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let tiny = store.block_page(4, 100, 1).expect("page");
    assert_eq!(tiny.len(), 1, "a page holds one block even over budget");
    assert_eq!(tiny[0].block.header.height, 4);
    assert!(
        store
            .block_page(6, 100, usize::MAX)
            .expect("page")
            .is_empty()
    );
}

#[test]
fn warming_loads_the_stored_tree_nodes_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = |i: u8| vec![tradeledger_contracts::smt::NODE_PREFIX, 1, i];
    {
        let store = Store::open(dir.path(), Hash32([1; 32])).expect("open");
        let mut writes: Vec<_> = (0..3).map(|i| (node(i), Some(vec![i; 40]))).collect();
        writes.push((b"vvalue".to_vec(), Some(b"1".to_vec())));
        let result = BlockResultRecord {
            state_root: Hash32([9; 32]),
            results_root: Hash32([8; 32]),
        };
        store.init_genesis_state(&writes, result).expect("genesis");
    }
    let store = Store::open(dir.path(), Hash32([1; 32])).expect("reopen");
    assert!(store.state_cache.is_empty(), "a reopened store starts cold");
    assert_eq!(store.warm_state_cache().expect("warm"), 3);
    let usage = store.state_cache_usage();
    assert_eq!((usage.nodes, usage.values), (3, 0));
    assert_eq!(store.state_get(&node(2)).expect("get"), Some(vec![2; 40]));
    assert_eq!(
        store.state_get(b"vvalue").expect("get"),
        Some(b"1".to_vec())
    );
    assert_eq!(
        store.state_cache_lookups(),
        (1, 1),
        "the node came from the cache, the value from RocksDB"
    );
}
