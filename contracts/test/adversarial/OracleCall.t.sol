// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {PriceLib} from "../../src/libraries/PriceLib.sol";

/// @dev A feed that answers `latestRoundData()` (or anything) with raw bytes, or reverts with them.
contract RawFeed {
    bytes internal answer;
    bool internal fails;

    function set(bytes memory answer_, bool fails_) external {
        (answer, fails) = (answer_, fails_);
    }

    fallback() external {
        bytes memory r = answer;
        bool f = fails;
        assembly {
            if f { revert(add(r, 32), mload(r)) }
            return(add(r, 32), mload(r))
        }
    }
}

/// @dev The feed read two ways: Solidity's own high-level call, which PriceLib used, and PriceLib.latestAnswer.
contract OracleCallHarness {
    function viaSolidity(address oracle) external view returns (int256 answer, uint256 updatedAt) {
        (, answer,, updatedAt,) = AggregatorV3Interface(oracle).latestRoundData();
    }

    function viaPriceLib(address oracle) external view returns (int256 answer, uint256 updatedAt) {
        return PriceLib.latestAnswer(oracle);
    }
}

/// @notice PriceLib reads the feed in assembly (to skip decoding three unused values); this pins it to Solidity's
/// call: the same result, or the same revert with the same data, for any answer a feed can give.
contract OracleCallTest {
    RawFeed internal feed = new RawFeed();
    OracleCallHarness internal harness = new OracleCallHarness();

    function _same(address oracle) internal view {
        (bool ok1, bytes memory r1) = address(harness).staticcall(abi.encodeCall(harness.viaSolidity, (oracle)));
        (bool ok2, bytes memory r2) = address(harness).staticcall(abi.encodeCall(harness.viaPriceLib, (oracle)));
        vm.assertTrue(ok1 == ok2, "success");
        vm.assertEq(r1.length, r2.length, "return or revert data length");
        vm.assertTrue(keccak256(r1) == keccak256(r2), "return or revert data");
    }

    function _answer(uint256 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint256 answeredInRound)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(roundId, answer, startedAt, updatedAt, answeredInRound);
    }

    function _check(bytes memory answer, bool fails) internal {
        feed.set(answer, fails);
        _same(address(feed));
    }

    function test_sameAsSolidityCall() public {
        uint256 max80 = type(uint80).max;
        _check(_answer(3, 2_000e8, 1_700_000_000, 1_700_000_000, 3), false);
        _check(_answer(max80, -1, 0, 0, max80), false);
        _check(_answer(max80 + 1, 2_000e8, 1, 1, 3), false); // roundId beyond uint80
        _check(_answer(3, 2_000e8, 1, 1, max80 + 1), false); // answeredInRound beyond uint80
        _check(_answer(type(uint256).max, type(int256).min, type(uint256).max, type(uint256).max, 0), false);
        _check(bytes.concat(_answer(3, 5, 6, 7, 3), bytes32(uint256(9))), false); // longer than five words
        _check(bytes.concat(_answer(3, 5, 6, 7, 3), hex"01"), false);
        _check(abi.encode(uint256(3), int256(5), uint256(6), uint256(7)), false); // four words
        _check(bytes.concat(abi.encode(uint256(3), int256(5), uint256(6), uint256(7)), bytes31(0)), false);
        _check("", false); // nothing returned
        _check("", true); // bare revert
        _check(abi.encodeWithSignature("Error(string)", "feed down"), true);
        _check(abi.encodeWithSignature("RoundNotFound(uint80)", uint80(7)), true);
        _same(address(0xdead)); // no code
        _same(address(0));
    }

    function testFuzz_sameAsSolidityCall(bytes memory answer, bool fails) public {
        _check(answer, fails);
    }

    function testFuzz_sameAsSolidityCallFiveWords(
        uint256 roundId,
        int256 answer,
        uint256 startedAt,
        uint256 updatedAt,
        uint256 answeredInRound,
        bool smallIds
    ) public {
        if (smallIds) (roundId, answeredInRound) = (roundId % (uint256(type(uint80).max) + 2), answeredInRound >> 175);
        _check(_answer(roundId, answer, startedAt, updatedAt, answeredInRound), false);
    }
}
