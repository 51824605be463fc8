// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title MockAggregator
/// @notice A Chainlink-compatible price feed whose answer the owner sets. Emits `AnswerUpdated` and `NewRound` like
/// Chainlink's aggregators, so off-chain code can follow it the same way. For local chains and tests only.
contract MockAggregator is AggregatorV3Interface, Ownable {
    /// @dev Rounds by id, and the latest round kept apart in two slots (answer; timestamps and id), so that
    /// `latestRoundData` reads two slots without hashing.
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    error RoundNotFound(uint80 roundId);

    uint8 public immutable decimals;
    string public description;
    mapping(uint80 roundId => Round) internal _rounds;
    Latest internal _latest;

    struct Latest {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
        uint80 roundId;
    }

    constructor(address owner_, uint8 decimals_, string memory description_, int256 initialAnswer) Ownable(owner_) {
        decimals = decimals_;
        description = description_;
        _update(initialAnswer, block.timestamp);
    }

    /// @notice Id of the latest round (1 after construction).
    function latestRound() external view returns (uint80) {
        return _latest.roundId;
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    /// @notice Publishes a new answer with the current block's timestamp.
    function setAnswer(int256 answer) external onlyOwner {
        _update(answer, block.timestamp);
    }

    /// @notice Publishes a new answer with a chosen `updatedAt`, to simulate stale, zero or future timestamps.
    function setAnswerAt(int256 answer, uint256 updatedAt) external onlyOwner {
        _update(answer, updatedAt);
    }

    function _update(int256 answer, uint256 updatedAt) internal {
        uint80 roundId = _latest.roundId + 1;
        _rounds[roundId] = Round(answer, uint64(block.timestamp), uint64(updatedAt));
        _latest = Latest(answer, uint64(block.timestamp), uint64(updatedAt), roundId);
        emit NewRound(roundId, msg.sender, block.timestamp);
        emit AnswerUpdated(answer, roundId, updatedAt);
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[roundId];
        if (r.startedAt == 0) revert RoundNotFound(roundId);
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        Latest memory r = _latest;
        return (r.roundId, r.answer, r.startedAt, r.updatedAt, r.roundId);
    }
}
